-- line comment
SELECT /* block /* nested */ comment */ 1;
;;
